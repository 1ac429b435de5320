import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../api/client';
import type { paths } from '../api/schema';

export type Release = paths['/api/projects/{project}/releases']['get']['responses'][200]['content']['application/json'][number];
export type Environment = paths['/api/projects/{project}/environments']['get']['responses'][200]['content']['application/json'][number];

export const releasesKey = (project: string) => ['releases', project] as const;
export const environmentsKey = (project: string) => ['environments', project] as const;

/** A project's releases, newest first (shared by the releases and environments screens). */
export function useReleases(project: string) {
  return useQuery({
    queryKey: releasesKey(project),
    queryFn: async () => unwrap(await api.GET('/api/projects/{project}/releases', { params: { path: { project } } })),
  });
}

/** A project's environments, each with what it serves now. */
export function useEnvironments(project: string) {
  return useQuery({
    queryKey: environmentsKey(project),
    queryFn: async () => unwrap(await api.GET('/api/projects/{project}/environments', { params: { path: { project } } })),
  });
}

export const environmentPath = (project: string, env: string) => `/projects/${encodeURIComponent(project)}/environments/${encodeURIComponent(env)}`;

export const formatTime = (at: string) => new Date(at).toLocaleString();

export type Deployment = paths['/api/projects/{project}/environments/{env}/deployments']['get']['responses'][200]['content']['application/json'][number];

export const deploymentsKey = (project: string, env: string) => ['deployments', project, env] as const;

/** Newest first: the deploys and rollbacks of one environment (at most the last 100). */
export function useDeployments(project: string, env: string) {
  return useQuery({
    queryKey: deploymentsKey(project, env),
    queryFn: async () => unwrap(await api.GET('/api/projects/{project}/environments/{env}/deployments', { params: { path: { project, env }, query: { limit: 100 } } })),
  });
}
