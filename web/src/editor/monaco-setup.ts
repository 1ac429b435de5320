/**
 * Self-hosted Monaco for jdm-editor (its README, "Self-hosting Monaco Editor"). Without it the
 * editor's loader fetches Monaco from a CDN, which an offline Verdict cannot reach. It must be
 * evaluated before @gorules/jdm-editor, which configures its loader from `self.monaco` when it loads.
 */
import { loader } from '@monaco-editor/react';
import * as monaco from 'monaco-editor';
import EditorWorker from 'monaco-editor/esm/vs/editor/editor.worker?worker';
import JsonWorker from 'monaco-editor/esm/vs/language/json/json.worker?worker';
import TsWorker from 'monaco-editor/esm/vs/language/typescript/ts.worker?worker';

declare global {
  interface Window {
    monaco?: typeof monaco;
  }
}

self.monaco = monaco;
self.MonacoEnvironment = {
  // Function nodes are JavaScript (the TypeScript worker serves both); the simulator shows JSON.
  getWorker(_workerId: string, label: string): Worker {
    if (label === 'json') return new JsonWorker();
    if (label === 'typescript' || label === 'javascript') return new TsWorker();
    return new EditorWorker();
  },
};
loader.config({ monaco });
