import type { TreeDataNode } from 'antd';

export const FOLDER = 'folder:';
export const DECISION = 'decision:';

/** Decision keys are paths (pricing/discount): folders are their prefixes, decisions the leaves. */
export function decisionTree(keys: readonly string[]): TreeDataNode[] {
  const root: TreeDataNode[] = [];
  const folders = new Map<string, TreeDataNode[]>([['', root]]);
  const folder = (path: string): TreeDataNode[] => {
    const existing = folders.get(path);
    if (existing) return existing;
    const slash = path.lastIndexOf('/');
    const parent = folder(slash < 0 ? '' : path.slice(0, slash));
    const children: TreeDataNode[] = [];
    parent.push({ key: FOLDER + path, title: path.slice(slash + 1), children, selectable: true });
    folders.set(path, children);
    return children;
  };
  for (const key of [...keys].sort()) {
    const slash = key.lastIndexOf('/');
    folder(slash < 0 ? '' : key.slice(0, slash)).push({ key: DECISION + key, title: key.slice(slash + 1), isLeaf: true });
  }
  return root;
}

/** The keys of every folder node of a tree, outermost first. */
export function folderKeys(nodes: readonly TreeDataNode[]): string[] {
  return nodes.flatMap((node) => (String(node.key).startsWith(FOLDER) ? [String(node.key), ...folderKeys(node.children ?? [])] : []));
}

/** A new decision's graph: a request flowing straight to the response, ready to be filled in. */
export function emptyGraph() {
  return {
    contentType: 'application/vnd.gorules.decision',
    nodes: [
      { id: crypto.randomUUID(), type: 'inputNode', name: 'request', position: { x: 80, y: 200 } },
      { id: crypto.randomUUID(), type: 'outputNode', name: 'response', position: { x: 480, y: 200 } },
    ],
    edges: [] as { id: string; sourceId: string; targetId: string; type: string }[],
  };
}

export function decisionPath(project: string, key: string): string {
  // Slashes stay readable in the console's URLs; each segment is encoded on its own.
  return `/projects/${encodeURIComponent(project)}/decisions/${key.split('/').map(encodeURIComponent).join('/')}`;
}
