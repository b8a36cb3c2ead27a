// The official WorkOS Node SDK (@workos-inc/node 11.0.0), unchanged but for host/port and key,
// against a running Roster seeded by seed.py. One line per check: `ok …` or `FAIL …`. Env: FIXTURE.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { WorkOS, NotFoundException, UnauthorizedException } from '@workos-inc/node';

const F = JSON.parse(readFileSync(process.env.FIXTURE, 'utf8'));
const opts = { apiHostname: '127.0.0.1', port: F.port, https: false };
const workos = new WorkOS(F.key, opts);
const ds = workos.directorySync;
const USER_IDS = F.users.map((u) => u.id);
let failed = 0;

async function check(name, test) {
  try {
    await test();
    console.log(`ok   node ${name}`);
  } catch (error) {
    failed += 1;
    const where = (error.stack ?? '').split('\n').find((l) => l.includes('node_sdk.mjs') || l.includes('@workos-inc')) ?? '';
    console.log(`FAIL node ${name}: ${error.name}: ${error.message} ${where.trim()}`);
  }
}

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

function exactlyOnce(items, expected, what) {
  const ids = items.map((i) => i.id);
  const set = new Set(ids);
  expect(ids.length === set.size, `${what}: duplicates ${ids.length - set.size} among ${ids.length}`);
  const missing = expected.filter((id) => !set.has(id)).length;
  expect(missing === 0 && set.size === expected.length, `${what}: got ${set.size}, missing ${missing}, extra ${set.size - expected.length + missing}`);
}

async function expectThrows(call, type) {
  try {
    await call();
  } catch (error) {
    expect(error instanceof type, `threw ${error.name}: ${error.message}`);
    return;
  }
  throw new Error('no exception');
}

await check('listDirectories', async () => {
  const ids = (await (await ds.listDirectories()).autoPagination()).map((d) => d.id);
  expect(ids.includes(F.directory) && ids.includes(F.other_directory), `got ${ids}`);
});

await check('listDirectories({organizationId})', async () => {
  const ids = (await (await ds.listDirectories({ organizationId: F.org })).autoPagination()).map((d) => d.id);
  expect(ids.length === 1 && ids[0] === F.directory, `got ${ids}`);
});

await check('getDirectory', async () => {
  const d = await ds.getDirectory(F.directory);
  expect(d.id === F.directory && d.organizationId === F.org && d.name === 'Okta' && d.type === 'okta scim v2.0', `got ${JSON.stringify(d)}`);
});

await check('listUsers({directory}).autoPagination()', async () => {
  const list = await ds.listUsers({ directory: F.directory });
  expect(list.data.length === 10 && list.listMetadata.after, `first page ${list.data.length}, after=${list.listMetadata.after}`);
  exactlyOnce(await list.autoPagination(), USER_IDS, 'users');
});

await check('listUsers({directory, limit: 5}) manual after-paging', async () => {
  const all = [];
  let after;
  for (let pages = 0; pages < 20; pages += 1) {
    const list = await ds.listUsers({ directory: F.directory, limit: 5, after });
    all.push(...list.data);
    after = list.listMetadata.after;
    if (!after) break;
  }
  exactlyOnce(all, USER_IDS, 'users');
});

await check('listUsers({group}).autoPagination()', async () => {
  exactlyOnce(await (await ds.listUsers({ group: F.engineering.id })).autoPagination(), F.engineering.members, 'engineering');
});

await check('getUser', async () => {
  const u = await ds.getUser(USER_IDS[0]);
  const got = [u.id, u.directoryId, u.organizationId, u.email, u.firstName, u.lastName, u.idpId, u.state].join(' ');
  const want = [USER_IDS[0], F.directory, F.org, 'user00@acme.com', 'First00', 'Last00', 'idp-acme.com-00', 'active'].join(' ');
  expect(got === want, `got ${got}`);
  expect(u.groups.length === 1 && u.groups[0].id === F.engineering.id && u.groups[0].name === 'Engineering', `groups ${JSON.stringify(u.groups)}`);
});

await check('getUser(deactivated).state === inactive', async () => {
  const u = await ds.getUser(F.deactivated);
  expect(u.state === 'inactive', `state ${u.state}`);
});

await check('listGroups({directory}).autoPagination()', async () => {
  exactlyOnce(await (await ds.listGroups({ directory: F.directory })).autoPagination(), [F.engineering.id, F.sales.id], 'groups');
});

await check('listGroups({user})', async () => {
  exactlyOnce((await ds.listGroups({ user: USER_IDS[13] })).data, [F.sales.id], 'groups');
});

await check('getGroup', async () => {
  const g = await ds.getGroup(F.engineering.id);
  const got = [g.id, g.name, g.directoryId, g.organizationId, g.idpId].join(' ');
  expect(got === [F.engineering.id, 'Engineering', F.directory, F.org, 'idp-group-engineering'].join(' '), `got ${got}`);
});

await check('events.listEvents({events: [dsync.user.created], limit: 5}) paging', async () => {
  // 11.0.0's listEvents returns a plain List (no autoPagination), so page with `after` as its docs say.
  const events = [];
  let after;
  for (let pages = 0; pages < 20; pages += 1) {
    const list = await workos.events.listEvents({ events: ['dsync.user.created'], limit: 5, after });
    events.push(...list.data);
    after = list.listMetadata.after;
    if (!after) break;
  }
  expect(events.every((e) => e && e.event === 'dsync.user.created'), `kinds ${[...new Set(events.map((e) => e?.event))]}`);
  expect(new Set(events.map((e) => e.id)).size === events.length, 'duplicate events');
  const created = events.map((e) => e.data.id).sort();
  expect(JSON.stringify(created) === JSON.stringify([...USER_IDS, F.other_user].sort()), `${created.length} events for ${new Set(created).size} users`);
});

await check('events.listEvents({organizationId, two types})', async () => {
  const list = await workos.events.listEvents({ events: ['dsync.user.created', 'dsync.group.created'], organizationId: F.org, limit: 100 });
  const kinds = [...new Set(list.data.map((e) => e?.event))].sort().join(',');
  expect(kinds === 'dsync.group.created,dsync.user.created', `kinds ${kinds}`);
  expect(list.data.length === USER_IDS.length + 2, `${list.data.length} events`);
});

await check('events.listEvents default order is oldest first (cursor sync per WorkOS docs)', async () => {
  const list = await workos.events.listEvents({ events: ['dsync.user.created'], limit: 100 });
  const order = list.data.map((e) => e.data.id).join(' ');
  const want = [...USER_IDS, F.other_user];
  expect(order === want.join(' '), order === [...want].reverse().join(' ') ? 'newest first' : `order ${order.slice(0, 80)}…`);
});

await check('events.listEvents({rangeStart, rangeEnd})', async () => {
  const day = 86400e3;
  const iso = (ms) => new Date(ms).toISOString();
  const inside = await workos.events.listEvents({ events: ['dsync.user.created'], rangeStart: iso(Date.now() - day), rangeEnd: iso(Date.now() + day), limit: 100 });
  const future = await workos.events.listEvents({ events: ['dsync.user.created'], rangeStart: iso(Date.now() + day), limit: 100 });
  expect(inside.data.length === USER_IDS.length + 1 && future.data.length === 0, `inside ${inside.data.length}, future ${future.data.length}`);
});

await check('getUser(unknown) throws NotFoundException', () =>
  expectThrows(() => ds.getUser('directory_user_01NOSUCHUSER0000000000000'), NotFoundException));

await check('bad API key throws UnauthorizedException', () =>
  expectThrows(() => new WorkOS('sk_wrong', { ...opts }).directorySync.listDirectories(), UnauthorizedException));

const ALL_EVENT_TYPES = ['dsync.activated', 'dsync.deleted', 'dsync.user.created', 'dsync.user.updated',
  'dsync.user.deleted', 'dsync.group.created', 'dsync.group.updated', 'dsync.group.deleted',
  'dsync.group.user_added', 'dsync.group.user_removed'];

// What the receiver got, once it holds a delivery of every event the API lists (or 30 s).
async function receivedDeliveries() {
  const wanted = new Set((await (await workos.events.listEvents({ events: ALL_EVENT_TYPES, limit: 100 })).data).map((e) => e.id));
  const deadline = Date.now() + 30000;
  for (;;) {
    const deliveries = readdirSync(F.hooks)
      .filter((name) => name.endsWith('.json'))
      .map((name) => JSON.parse(readFileSync(join(F.hooks, name), 'utf8')));
    const got = new Set(deliveries.map((d) => JSON.parse(d.body).id));
    const missing = [...wanted].filter((id) => !got.has(id));
    if (missing.length === 0 || Date.now() > deadline) {
      expect(missing.length === 0, `${missing.length} of ${wanted.size} events not delivered`);
      return deliveries;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

await check('webhooks.constructEvent accepts every delivery Roster made, and refuses a tampered one', async () => {
  const deliveries = await receivedDeliveries();
  for (const delivery of deliveries) {
    const event = await workos.webhooks.constructEvent({
      payload: delivery.body,
      sigHeader: delivery.headers['workos-signature'],
      secret: F.webhook_secret,
    });
    expect(event.id === JSON.parse(delivery.body).id, `event ${event.id}`);
  }
  const tampered = deliveries[0].body.replace('"object":"event"', '"object":"event" ');
  await expectThrows(
    () => workos.webhooks.constructEvent({ payload: tampered, sigHeader: deliveries[0].headers['workos-signature'], secret: F.webhook_secret }),
    Error,
  );
});

await check('organizations: create, get, get by external id, list by domain, update, delete', async () => {
  const orgs = workos.organizations;
  const created = await orgs.createOrganization({
    name: 'Hooli', domainData: [{ domain: 'hooli.com', state: 'verified' }], externalId: 'crm-hooli', metadata: { tier: 'gold' },
  });
  expect(created.name === 'Hooli' && created.domains.map((d) => d.domain).join() === 'hooli.com', `created ${JSON.stringify(created)}`);
  expect(created.externalId === 'crm-hooli' && created.metadata.tier === 'gold', `created ${JSON.stringify(created)}`);
  expect((await orgs.getOrganization(created.id)).id === created.id, 'get');
  expect((await orgs.getOrganizationByExternalId('crm-hooli')).id === created.id, 'by external id');
  const listed = (await (await orgs.listOrganizations({ domains: ['hooli.com'] })).autoPagination()).map((o) => o.id);
  expect(listed.length === 1 && listed[0] === created.id, `listed ${listed}`);
  const renamed = await orgs.updateOrganization({ organization: created.id, name: 'Hooli XYZ' });
  expect(renamed.name === 'Hooli XYZ' && renamed.externalId === 'crm-hooli', `renamed ${JSON.stringify(renamed)}`);
  await orgs.deleteOrganization(created.id);
  await expectThrows(() => orgs.getOrganization(created.id), NotFoundException);
});

await check('webhooks: create (secret once), list, update, delete endpoints', async () => {
  const hooks = workos.webhooks;
  const created = await hooks.createWebhookEndpoint({ endpointUrl: 'https://app.example.com/workos', events: ['dsync.user.created'] });
  expect(created.secret.startsWith('whsec_') && created.status === 'enabled', `created ${JSON.stringify(created)}`);
  const listed = await (await hooks.listWebhookEndpoints()).autoPagination();
  expect(listed.some((e) => e.id === created.id && e.endpointUrl === 'https://app.example.com/workos'), 'not listed');
  const updated = await hooks.updateWebhookEndpoint({ id: created.id, status: 'disabled' });
  expect(updated.status === 'disabled', `updated ${JSON.stringify(updated)}`);
  await hooks.deleteWebhookEndpoint({ id: created.id });
  const after = await (await hooks.listWebhookEndpoints()).autoPagination();
  expect(!after.some((e) => e.id === created.id), 'still listed');
});

process.exit(failed ? 1 : 0);
