import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../api/client';
import type { paths } from '../api/schema';

export type DeploymentRequest = paths['/api/projects/{project}/deployment-requests']['get']['responses'][200]['content']['application/json'][number];
export type RequestFilter = NonNullable<NonNullable<paths['/api/projects/{project}/deployment-requests']['get']['parameters']['query']>['status']>;

export const requestsKey = (project: string) => ['deployment-requests', project] as const;

export const approvalsPath = (project: string) => `/projects/${encodeURIComponent(project)}/approvals`;

/** A project's deployment requests, newest first; pending ones by default. Refreshed while open: others approve. */
export function useDeploymentRequests(project: string, status: RequestFilter) {
  return useQuery({
    queryKey: [...requestsKey(project), status],
    queryFn: async () => unwrap(await api.GET('/api/projects/{project}/deployment-requests', { params: { path: { project }, query: { status, limit: 100 } } })),
    refetchInterval: 10_000,
  });
}

/** "needs 1 more approval", "approved by bob", ...: what a request is waiting for or how it ended. */
export function requestState(r: DeploymentRequest): string {
  switch (r.status) {
    case 'pending': {
      const missing = r.requiredApprovals - r.approvals;
      return `needs ${missing} more approval${missing === 1 ? '' : 's'}`;
    }
    case 'deployed':
      return `deployed (approved by ${r.reviews.filter((v) => v.verdict === 'approve').map((v) => v.reviewer).join(', ')})`;
    case 'rejected':
      return `rejected by ${r.closedBy ?? 'someone'}`;
    case 'cancelled':
      return `cancelled by ${r.closedBy ?? 'someone'}`;
    case 'expired':
      return 'expired';
  }
}
