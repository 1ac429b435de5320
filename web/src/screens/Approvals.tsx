import { useState } from 'react';
import { Alert, App, Button, Form, Input, Modal, Radio, Space, Table, Tag, Tooltip, Typography } from 'antd';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, useParams, useSearchParams } from 'react-router';
import { api, unwrap } from '../api/client';
import { useCan, useSession } from '../session';
import { ProjectNav } from './ProjectNav';
import { deploymentsKey, environmentPath, environmentsKey, formatTime } from './project-data';
import { requestsKey, requestState, useDeploymentRequests, type DeploymentRequest, type RequestFilter } from './approval-data';

const STATUS_COLOR: Record<DeploymentRequest['status'], string> = { pending: 'gold', deployed: 'green', rejected: 'red', cancelled: 'default', expired: 'default' };

type Verdict = 'approve' | 'reject';

/**
 * Deployment requests of protected environments. People who may deploy approve or reject others'
 * requests (the server refuses your own, and checks the environment's role and group); the
 * requester cancels. The approval that completes a request deploys it.
 */
export function Approvals() {
  const project = useParams().project!;
  const [search, setSearch] = useSearchParams();
  const status = (search.get('status') ?? 'pending') as RequestFilter;
  const requests = useDeploymentRequests(project, status);
  const session = useSession();
  const canReview = useCan('deploy');
  const isAdmin = session.data?.role === 'admin';
  const [reviewing, setReviewing] = useState<{ request: DeploymentRequest; verdict: Verdict }>();
  const cancel = useCancel(project);

  return (
    <section style={{ padding: 24 }}>
      <ProjectNav project={project} />
      <Space style={{ marginBottom: 16 }}>
        <Radio.Group
          optionType="button"
          value={status}
          onChange={(e) => setSearch(e.target.value === 'pending' ? {} : { status: e.target.value as string })}
          options={[
            { value: 'pending', label: 'Waiting for approval' },
            { value: 'all', label: 'All requests' },
          ]}
        />
      </Space>
      {requests.error && <Alert type="error" showIcon message={requests.error.message} />}
      {cancel.error && <Alert type="error" showIcon role="alert" message={cancel.error.message} style={{ marginBottom: 16 }} />}
      <Table
        aria-label="Deployment requests"
        rowKey="id"
        loading={requests.isPending}
        dataSource={requests.data ?? []}
        pagination={{ pageSize: 50, hideOnSinglePage: true }}
        locale={{ emptyText: status === 'pending' ? 'Nothing waits for approval.' : 'No deployment requests yet: they appear when someone deploys to a protected environment.' }}
        expandable={{
          rowExpandable: (r) => r.reviews.length > 0,
          expandedRowRender: (r) => (
            <ul style={{ margin: 0 }}>
              {r.reviews.map((v) => (
                <li key={`${v.reviewer}-${v.createdAt}`}>
                  {v.verdict === 'approve' ? 'Approved' : 'Rejected'} by {v.reviewer}, {formatTime(v.createdAt)}
                  {v.comment ? `: ${v.comment}` : ''}
                </li>
              ))}
            </ul>
          ),
        }}
        columns={[
          { title: '#', dataIndex: 'id', width: 64 },
          { title: 'Environment', key: 'env', render: (_: unknown, r: DeploymentRequest) => <Link to={environmentPath(project, r.environment)}>{r.environment}</Link> },
          { title: 'Change', key: 'change', render: (_: unknown, r: DeploymentRequest) => `${r.kind === 'rollback' ? 'roll back to' : 'deploy'} ${r.release.label}` },
          { title: 'Requested', key: 'requested', render: (_: unknown, r: DeploymentRequest) => `${formatTime(r.createdAt)} by ${r.requestedBy}` },
          { title: 'Comment', dataIndex: 'comment', render: (c: string) => c || <Typography.Text type="secondary">none</Typography.Text> },
          { title: 'Approvals', key: 'approvals', render: (_: unknown, r: DeploymentRequest) => `${r.approvals} of ${r.requiredApprovals}` },
          {
            title: 'Status',
            key: 'status',
            render: (_: unknown, r: DeploymentRequest) => (
              <Tooltip title={r.status === 'pending' ? `Expires ${formatTime(r.expiresAt)}` : r.closedAt ? formatTime(r.closedAt) : undefined}>
                <Tag color={STATUS_COLOR[r.status]}>{requestState(r)}</Tag>
              </Tooltip>
            ),
          },
          {
            title: '',
            key: 'actions',
            render: (_: unknown, r: DeploymentRequest) => {
              if (r.status !== 'pending') return null;
              const own = r.requestedBy === session.data?.name;
              return (
                <Space>
                  {canReview && !own && (
                    <>
                      <Button type="primary" size="small" onClick={() => setReviewing({ request: r, verdict: 'approve' })} aria-label={`Approve request ${r.id}`}>
                        Approve
                      </Button>
                      <Button danger size="small" onClick={() => setReviewing({ request: r, verdict: 'reject' })} aria-label={`Reject request ${r.id}`}>
                        Reject
                      </Button>
                    </>
                  )}
                  {own && <Typography.Text type="secondary">your request: someone else approves it</Typography.Text>}
                  {(own || isAdmin) && (
                    <Button size="small" onClick={() => cancel.mutate(r)} aria-label={`Cancel request ${r.id}`}>
                      Cancel
                    </Button>
                  )}
                </Space>
              );
            },
          },
        ]}
      />
      {reviewing && <ReviewDialog project={project} {...reviewing} onClose={() => setReviewing(undefined)} />}
    </section>
  );
}

function useInvalidate(project: string) {
  const queryClient = useQueryClient();
  return (r: DeploymentRequest) =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: requestsKey(project) }),
      queryClient.invalidateQueries({ queryKey: environmentsKey(project) }),
      queryClient.invalidateQueries({ queryKey: deploymentsKey(project, r.environment) }),
    ]);
}

function useCancel(project: string) {
  const invalidate = useInvalidate(project);
  const { message } = App.useApp();
  return useMutation({
    mutationFn: async (r: DeploymentRequest) =>
      unwrap(await api.POST('/api/projects/{project}/deployment-requests/{id}/cancel', { params: { path: { project, id: r.id } } })),
    onSuccess: async (r) => {
      await invalidate(r);
      void message.success(`Request ${r.id} cancelled`);
    },
  });
}

/** Approve or reject, with an optional comment kept with the review and in the audit log. */
function ReviewDialog({ project, request, verdict, onClose }: { project: string; request: DeploymentRequest; verdict: Verdict; onClose: () => void }) {
  const [form] = Form.useForm<{ comment?: string }>();
  const invalidate = useInvalidate(project);
  const { message } = App.useApp();
  const review = useMutation({
    mutationFn: async ({ comment }: { comment?: string }) => {
      const options = { params: { path: { project, id: request.id } }, body: comment?.trim() ? { comment: comment.trim() } : {} };
      return unwrap(
        verdict === 'approve'
          ? await api.POST('/api/projects/{project}/deployment-requests/{id}/approve', options)
          : await api.POST('/api/projects/{project}/deployment-requests/{id}/reject', options),
      );
    },
    onSuccess: async (r) => {
      await invalidate(r);
      void message.success(r.status === 'deployed' ? `Approved: ${r.environment} now serves ${r.release.label}` : `Request ${r.id}: ${requestState(r)}`);
      onClose();
    },
  });
  const change = `${request.kind === 'rollback' ? 'roll back' : 'deploy'} ${request.environment} to ${request.release.label}`;
  return (
    <Modal
      title={verdict === 'approve' ? `Approve: ${change}?` : `Reject: ${change}?`}
      open
      onCancel={onClose}
      onOk={() => form.submit()}
      okText={verdict === 'approve' ? 'Approve' : 'Reject'}
      okButtonProps={{ danger: verdict === 'reject' }}
      confirmLoading={review.isPending}
    >
      <Typography.Paragraph>
        Requested by {request.requestedBy} {formatTime(request.createdAt)}
        {request.comment ? `: "${request.comment}"` : ''}. {request.approvals} of {request.requiredApprovals} approvals so far
        {verdict === 'approve' && request.approvals + 1 >= request.requiredApprovals ? '; yours completes it and deploys at once.' : '.'}
      </Typography.Paragraph>
      <Form form={form} layout="vertical" onFinish={(values) => review.mutate(values)}>
        <Form.Item label="Comment" name="comment">
          <Input.TextArea maxLength={2000} autoSize={{ minRows: 2, maxRows: 6 }} placeholder={verdict === 'approve' ? 'Optional' : 'Why not?'} />
        </Form.Item>
        {review.error && <Alert type="error" showIcon role="alert" message={review.error.message} />}
      </Form>
    </Modal>
  );
}
