import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from './api/client';
import type { paths } from './api/schema';

export type Session = paths['/api/session']['get']['responses'][200]['content']['application/json'];

export const SESSION_KEY = ['session'] as const;

/** Who is signed in, or null. The cookie itself is invisible to scripts: only the server can tell. */
export function useSession() {
  return useQuery({
    queryKey: SESSION_KEY,
    queryFn: async (): Promise<Session | null> => {
      const result = await api.GET('/api/session');
      if (result.response.status === 401) return null;
      return unwrap(result);
    },
    staleTime: 60_000,
  });
}

/** Whether the signed-in role may do something: buttons follow it, the server enforces it. */
export function useCan(permission: string): boolean {
  const { data } = useSession();
  return data?.permissions.includes(permission) ?? false;
}
