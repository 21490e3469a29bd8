import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findExecutable } from '@platform/testing';
import { REPO_ROOT } from '../src/options.ts';

// The Kubernetes manifests render with kustomize and keep the properties the platform relies on.

const kubectl = findExecutable('kubectl');

function render(path: string): string {
  const result = spawnSync(kubectl!, ['kustomize', join(REPO_ROOT, path)], { env: { ...process.env, KUBECONFIG: '/dev/null' }, encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

function documents(yaml: string): string[] {
  return yaml.split(/^---$/m).map((document) => document.trim()).filter((document) => document !== '');
}

const kindOf = (document: string) => /^kind: (\w+)$/m.exec(document)?.[1];
const nameOf = (document: string) => /^metadata:\n(?:\s+.*\n)*?\s+name: ([\w-]+)$/m.exec(document)?.[1];

describe.skipIf(kubectl === undefined)('kustomize manifests', () => {
  it('render the production overlay', () => {
    const rendered = documents(render('deploy/overlays/production'));
    const deployments = rendered.filter((document) => kindOf(document) === 'Deployment');
    expect(deployments.map(nameOf).sort()).toEqual(['nginx', 'permission-service', 'session-gateway', 'token-validation']);
    for (const deployment of deployments) {
      const replicas = Number(/^\s+replicas: (\d+)$/m.exec(deployment)?.[1]);
      expect(replicas, nameOf(deployment)).toBeGreaterThanOrEqual(2);
      expect(deployment, nameOf(deployment)).toContain('namespace: security-platform');
    }
    expect(rendered.some((document) => kindOf(document) === 'Secret')).toBe(false);
  });

  it('probe every service on /healthz and /readyz', () => {
    const rendered = documents(render('deploy/base'));
    for (const name of ['session-gateway', 'token-validation', 'permission-service']) {
      const deployment = rendered.find((document) => kindOf(document) === 'Deployment' && nameOf(document) === name)!;
      expect(deployment, name).toMatch(/readinessProbe:\n\s+.*\n?\s+httpGet:\n\s+path: \/readyz/);
      expect(deployment, name).toMatch(/livenessProbe:\n\s+.*\n?\s+httpGet:\n\s+path: \/healthz/);
      expect(deployment, name).toContain(`- apps/${name}/src/main.ts`);
      expect(deployment, name).toContain(`name: ${name}-secrets`);
    }
  });

  it('let backends accept traffic from NGINX only', () => {
    const rendered = documents(render('deploy/base'));
    const policies = rendered.filter((document) => kindOf(document) === 'NetworkPolicy');
    for (const name of ['session-gateway', 'token-validation', 'permission-service']) {
      const policy = policies.find((document) => document.includes(`app.kubernetes.io/name: ${name}`))!;
      expect(policy, name).toBeDefined();
      expect(policy, name).toMatch(/from:\n\s+- podSelector:\n\s+matchLabels:\n\s+app.kubernetes.io\/name: nginx/);
    }
    const budgets = rendered.filter((document) => kindOf(document) === 'PodDisruptionBudget').map(nameOf).sort();
    expect(budgets).toEqual(['nginx', 'permission-service', 'session-gateway', 'token-validation']);
  });
});

describe('NGINX deployment', () => {
  it('sets every template placeholder', () => {
    const template = readFileSync(join(REPO_ROOT, 'nginx', 'platform.conf.template'), 'utf8');
    const placeholders = new Set([...template.matchAll(/\$\{([A-Z][A-Z0-9_]*)\}/g)].map((match) => match[1]));
    const deployment = readFileSync(join(REPO_ROOT, 'deploy', 'base', 'nginx.yaml'), 'utf8');
    const variables = new Set([...deployment.matchAll(/- name: ([A-Z][A-Z0-9_]*)$/gm)].map((match) => match[1]));
    expect([...placeholders].sort()).toEqual([...variables].sort());
  });
});
