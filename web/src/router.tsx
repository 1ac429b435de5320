import { createBrowserRouter, Navigate } from 'react-router';
import { Layout } from './screens/Layout';
import { SignIn } from './screens/SignIn';
import { Projects } from './screens/Projects';
import { Decisions } from './screens/Decisions';
import { DecisionEditor } from './screens/DecisionEditor';
import { NotFound } from './screens/NotFound';
import { Releases } from './screens/Releases';
import { Environments } from './screens/Environments';
import { History } from './screens/History';
import { ReleaseCompare } from './screens/ReleaseCompare';
import { EnvironmentDetail } from './screens/EnvironmentDetail';
import { ApiTokens } from './screens/ApiTokens';
import { Audit } from './screens/Audit';
import { Regions } from './screens/Regions';
import { Approvals } from './screens/Approvals';

/** Every screen has a URL; decision keys keep their slashes (/projects/p/decisions/pricing/discount). */
export const router = createBrowserRouter([
  { path: '/sign-in', element: <SignIn /> },
  {
    path: '/',
    element: <Layout />,
    children: [
      { index: true, element: <Navigate to="/projects" replace /> },
      { path: 'projects', element: <Projects /> },
      { path: 'projects/:project', element: <Navigate to="decisions" replace /> },
      { path: 'projects/:project/decisions', element: <Decisions /> },
      { path: 'projects/:project/decisions/*', element: <DecisionEditor /> },
      { path: 'projects/:project/history/*', element: <History /> },
      { path: 'projects/:project/releases', element: <Releases /> },
      { path: 'projects/:project/releases/compare', element: <ReleaseCompare /> },
      { path: 'projects/:project/environments', element: <Environments /> },
      { path: 'projects/:project/environments/:env', element: <EnvironmentDetail /> },
      { path: 'projects/:project/approvals', element: <Approvals /> },
      { path: 'tokens', element: <ApiTokens /> },
      { path: 'audit', element: <Audit /> },
      { path: 'regions', element: <Regions /> },
      { path: '*', element: <NotFound /> },
    ],
  },
]);
