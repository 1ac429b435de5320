import { createBrowserRouter, Navigate } from 'react-router';
import { Layout } from './screens/Layout';
import { SignIn } from './screens/SignIn';
import { Projects } from './screens/Projects';
import { Decisions } from './screens/Decisions';
import { DecisionEditor } from './screens/DecisionEditor';
import { NotFound } from './screens/NotFound';
import { Releases } from './screens/Releases';
import { Environments } from './screens/Environments';
import { Regions } from './screens/Regions';

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
      { path: 'projects/:project/releases', element: <Releases /> },
      { path: 'projects/:project/environments', element: <Environments /> },
      { path: 'regions', element: <Regions /> },
      { path: '*', element: <NotFound /> },
    ],
  },
]);
