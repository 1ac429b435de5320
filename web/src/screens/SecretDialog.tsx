import { useRef, useState } from 'react';
import { Alert, Button, Input, Modal, Space, Typography, type InputRef } from 'antd';

interface Props {
  readonly title: string;
  /** What the secret is, for its field's accessible name ("New evaluation token"). */
  readonly label: string;
  readonly secret: string;
  /** How to use it, shown under the field. */
  readonly usage: string;
  readonly onClose: () => void;
}

/**
 * A new token's secret, shown once: the server keeps only its hash, so after this dialog closes
 * nobody can show it again. Copy uses the Clipboard API, which browsers offer only on HTTPS or
 * localhost; elsewhere the field is selected for Ctrl+C.
 */
export function SecretDialog({ title, label, secret, usage, onClose }: Props) {
  const field = useRef<InputRef>(null);
  const [copied, setCopied] = useState<'yes' | 'by-hand'>();

  const copy = async () => {
    try {
      if (!navigator.clipboard) throw new Error('no clipboard');
      await navigator.clipboard.writeText(secret);
      setCopied('yes');
    } catch {
      field.current?.select();
      setCopied('by-hand');
    }
  };

  return (
    <Modal
      title={title}
      open
      closable={false}
      maskClosable={false}
      keyboard={false}
      onCancel={onClose}
      footer={
        <Button type="primary" onClick={onClose}>
          I have copied it
        </Button>
      }
    >
      <Alert type="warning" showIcon style={{ marginBottom: 16 }} message="Copy it now: you will not see it again." description="Verdict keeps only a hash of it. If it is lost, revoke it and create another." />
      <Space.Compact style={{ width: '100%' }}>
        <Input ref={field} readOnly value={secret} aria-label={label} onFocus={(e) => e.target.select()} style={{ fontFamily: 'monospace' }} />
        <Button onClick={() => void copy()} aria-label={`Copy ${label.toLowerCase()}`}>
          Copy
        </Button>
      </Space.Compact>
      <div role="status" aria-live="polite" style={{ minHeight: 22, marginTop: 4 }}>
        {copied === 'yes' && <Typography.Text type="success">Copied to the clipboard.</Typography.Text>}
        {copied === 'by-hand' && <Typography.Text type="warning">This page cannot use the clipboard (it needs HTTPS): the token is selected, press Ctrl+C.</Typography.Text>}
      </div>
      <Typography.Paragraph type="secondary" style={{ marginTop: 8, marginBottom: 0 }}>
        {usage}
      </Typography.Paragraph>
    </Modal>
  );
}
