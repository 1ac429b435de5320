import { useState } from 'react';
import { Alert, Button, Drawer, Form, Input, Modal, Popconfirm, Space, Table, Tag, Typography } from 'antd';
import { useMutation } from '@tanstack/react-query';
import { api, unwrap } from '../api/client';
import type { paths } from '../api/schema';
import { brief, parseJsonField, type TestCase } from './test-cases';
import { EnterSubmits } from './EnterSubmits';

type TestRun = paths['/api/projects/{project}/tests/run']['post']['responses'][200]['content']['application/json'];
type CaseResult = TestRun['decisions'][number]['cases'][number];

/** What the simulator ran last: a new case starts from it (the context, and the result as expected). */
export interface LastSimulation {
  readonly context: Record<string, unknown>;
  readonly result: unknown;
}

interface Props {
  readonly project: string;
  readonly decisionKey: string;
  readonly open: boolean;
  readonly onClose: () => void;
  readonly cases: readonly TestCase[];
  /** Cases are part of the decision: changing them makes the draft unsaved, like a graph edit. */
  readonly onChange: (cases: TestCase[]) => void;
  readonly canWrite: boolean;
  /** The saved version runs on the server; unsaved changes (graph or cases) do not. */
  readonly unsaved: boolean;
  readonly savedVersion: number | undefined;
  readonly lastSimulation: LastSimulation | undefined;
}

/**
 * The decision's test cases (input and expected output, saved with the decision) and "Run all",
 * which runs them on the server against the saved version, as `verdict test` and
 * `release create --require-tests` do.
 */
export function TestCases({ project, decisionKey, open, onClose, cases, onChange, canWrite, unsaved, savedVersion, lastSimulation }: Props) {
  const [adding, setAdding] = useState(false);
  const run = useMutation({
    mutationFn: async () => unwrap(await api.POST('/api/projects/{project}/tests/run', { params: { path: { project } }, body: { decisions: [decisionKey] } })),
  });
  const ran = run.data?.decisions.find((d) => d.key === decisionKey);
  const resultOf = (index: number): CaseResult | undefined => ran?.cases.find((c) => c.index === index);
  const rows = cases.map((testCase, index) => ({ index, testCase }));

  return (
    <Drawer title={`Test cases of ${decisionKey}`} open={open} onClose={onClose} width={720} destroyOnClose={false}>
      <section aria-label={`Test cases of ${decisionKey}`}>
      <Space style={{ marginBottom: 12 }} wrap>
        <Button type="primary" onClick={() => run.mutate()} loading={run.isPending} disabled={savedVersion === undefined || savedVersion === 0}>
          Run all
        </Button>
        {canWrite && <Button onClick={() => setAdding(true)}>Add test case</Button>}
        {ran && (
          <Typography.Text role="status" aria-label="Test results">
            <Tag color={ran.failed === 0 ? 'green' : 'red'}>
              {ran.passed} passed, {ran.failed} failed
            </Tag>
            on saved version v{ran.version}
          </Typography.Text>
        )}
        {run.data && !ran && <Typography.Text type="secondary">The saved version has no test cases: save the ones added here first.</Typography.Text>}
      </Space>
      {unsaved && <Alert style={{ marginBottom: 12 }} type="info" showIcon message="Run all runs the saved version: save to run your unsaved changes (cases added here included)." />}
      {run.error && <Alert style={{ marginBottom: 12 }} type="error" showIcon role="alert" message={run.error.message} />}
      <Table
        aria-label="Test cases"
        size="small"
        rowKey="index"
        dataSource={rows}
        pagination={false}
        locale={{ emptyText: canWrite ? 'No test cases yet: run the simulator, then "Add test case" keeps its context and result.' : 'No test cases' }}
        expandable={{
          rowExpandable: ({ index }) => resultOf(index)?.passed === false,
          expandedRowRender: ({ index }) => <Failure result={resultOf(index)!} />,
        }}
        columns={[
          { title: '#', dataIndex: 'index', width: 48, render: (index: number) => index + 1 },
          { title: 'Name', render: (_: unknown, { testCase }) => testCase.name ?? <Typography.Text type="secondary">unnamed</Typography.Text> },
          { title: 'Input', render: (_: unknown, { testCase }) => <Typography.Text code>{brief(testCase.input, 60)}</Typography.Text> },
          { title: 'Expected output', render: (_: unknown, { testCase }) => <Typography.Text code>{brief(testCase.output, 60)}</Typography.Text> },
          {
            title: 'Result',
            width: 90,
            render: (_: unknown, { index }) => {
              const result = resultOf(index);
              if (!result) return <Typography.Text type="secondary">—</Typography.Text>;
              return result.passed ? <Tag color="green">Passed</Tag> : <Tag color="red">Failed</Tag>;
            },
          },
          ...(canWrite
            ? [
                {
                  title: 'Actions',
                  width: 80,
                  render: (_: unknown, { index, testCase }: { index: number; testCase: TestCase }) => (
                    <Popconfirm title={`Delete test case ${index + 1}?`} okText="Delete" okButtonProps={{ danger: true }} onConfirm={() => onChange(cases.filter((_, i) => i !== index))}>
                      <Button size="small" danger type="link" aria-label={`Delete test case ${index + 1}${testCase.name ? ` (${testCase.name})` : ''}`}>
                        Delete
                      </Button>
                    </Popconfirm>
                  ),
                },
              ]
            : []),
        ]}
      />
      {adding && (
        <AddTestCase
          lastSimulation={lastSimulation}
          onClose={() => setAdding(false)}
          onAdd={(testCase) => {
            onChange([...cases, testCase]);
            setAdding(false);
          }}
        />
      )}
      </section>
    </Drawer>
  );
}

/** Why a case failed: the engine's error, or where the result differs from the expected output. */
function Failure({ result }: { result: CaseResult }) {
  if (result.error) return <Alert type="error" showIcon message={result.error} />;
  return (
    <Table
      aria-label={`Differences of test case ${result.index + 1}`}
      size="small"
      pagination={false}
      rowKey="path"
      dataSource={result.differences ?? []}
      columns={[
        { title: 'Path', dataIndex: 'path', render: (path: string) => <Typography.Text code>{path || '(whole result)'}</Typography.Text> },
        { title: 'Expected', dataIndex: 'expected', render: (value: unknown) => (value !== undefined ? <Typography.Text code>{brief(value)}</Typography.Text> : 'absent') },
        { title: 'Actual', dataIndex: 'actual', render: (value: unknown) => (value !== undefined ? <Typography.Text code>{brief(value)}</Typography.Text> : 'absent') },
      ]}
    />
  );
}

interface CaseForm {
  name?: string;
  input: string;
  output: string;
}

/** A new case: name, input and expected output as JSON, started from the last simulation. */
function AddTestCase({ lastSimulation, onClose, onAdd }: { lastSimulation: LastSimulation | undefined; onClose: () => void; onAdd: (testCase: TestCase) => void }) {
  const [form] = Form.useForm<CaseForm>();
  const initial: CaseForm = {
    input: JSON.stringify(lastSimulation?.context ?? {}, null, 2),
    output: JSON.stringify(lastSimulation?.result ?? {}, null, 2),
  };
  const jsonRule = (what: string, object: boolean) => ({
    validator: async (_: unknown, text: string | undefined) => {
      const parsed = parseJsonField(text ?? '', what, object);
      if ('error' in parsed) throw new Error(parsed.error);
    },
  });
  const finish = (values: CaseForm) => {
    const input = parseJsonField(values.input, 'Input', true);
    const output = parseJsonField(values.output, 'Expected output', false);
    if ('error' in input || 'error' in output) return; // the rules said so already
    const name = values.name?.trim();
    onAdd({ ...(name ? { name } : {}), input: input.value as Record<string, unknown>, output: output.value });
  };
  return (
    <Modal title="Add test case" open onCancel={onClose} onOk={() => form.submit()} okText="Add">
      <Typography.Paragraph type="secondary">
        {lastSimulation ? 'Started from the last simulation: its context, and its result as the expected output.' : 'Run the simulator first to start from its context and result.'} The case is
        saved with the decision.
      </Typography.Paragraph>
      <Form form={form} layout="vertical" initialValues={initial} onFinish={finish}>
        <Form.Item label="Name" name="name" rules={[{ max: 200 }]}>
          <Input autoFocus placeholder="gold customer gets 20%" />
        </Form.Item>
        <Form.Item label="Input (JSON)" name="input" rules={[jsonRule('Input', true)]}>
          <Input.TextArea rows={6} spellCheck={false} style={{ fontFamily: 'monospace' }} />
        </Form.Item>
        <Form.Item label="Expected output (JSON)" name="output" rules={[jsonRule('Expected output', false)]}>
          <Input.TextArea rows={6} spellCheck={false} style={{ fontFamily: 'monospace' }} />
        </Form.Item>
        <EnterSubmits />
      </Form>
    </Modal>
  );
}
