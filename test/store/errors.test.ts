import { expect } from 'chai';
import { isDatabaseUnavailable, StoreError } from '../../lib/store/errors.js';

describe('isDatabaseUnavailable: which database failures ask the client to retry (503) rather than fail (500)', () => {
  for (const code of [
    'ECONNREFUSED',
    'PROTOCOL_CONNECTION_LOST',
    'ER_LOCK_WAIT_TIMEOUT',
    'ER_LOCK_DEADLOCK',
    'SQLITE_BUSY',
  ]) {
    it(`${code} is a retry`, () => {
      expect(isDatabaseUnavailable(Object.assign(new Error('x'), { code }))).to.equal(true);
    });
  }
  it('a pool that gives no connection in time (KnexTimeoutError) and a fatal mysql2 connection error are retries', () => {
    expect(isDatabaseUnavailable(Object.assign(new Error('x'), { name: 'KnexTimeoutError' }))).to.equal(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('closed state'), { fatal: true }))).to.equal(true);
  });
  // PostgreSQL's SQLSTATEs: serialization failure and deadlock (the server rolled the transaction
  // back), lock and statement timeouts, shutdown, too many connections, connection failures.
  for (const code of ['40001', '40P01', '55P03', '57014', '57P01', '53300', '08006']) {
    it(`PostgreSQL ${code} is a retry`, () => {
      expect(isDatabaseUnavailable(Object.assign(new Error('x'), { code }))).to.equal(true);
    });
  }
  it("node-postgres's lost connection (no code; Knex prefixes the SQL) is a retry, other code-less errors are not", () => {
    expect(isDatabaseUnavailable(new Error('select 1 - Connection terminated unexpectedly'))).to.equal(true);
    expect(isDatabaseUnavailable(new Error('Client has encountered a connection error and is not queryable'))).to.equal(
      true,
    );
    expect(isDatabaseUnavailable(new Error('select 1 - Connection terminated unexpectedly, or not'))).to.equal(false);
  });
  it('a query this request got wrong, or a store refusal, is not', () => {
    expect(isDatabaseUnavailable(Object.assign(new Error('x'), { code: '23505' }))).to.equal(false);
    expect(isDatabaseUnavailable(Object.assign(new Error('x'), { code: '42601' }))).to.equal(false);
    expect(isDatabaseUnavailable(Object.assign(new Error('x'), { code: 'ER_DUP_ENTRY' }))).to.equal(false);
    expect(isDatabaseUnavailable(Object.assign(new Error('x'), { code: 'ER_PARSE_ERROR' }))).to.equal(false);
    expect(isDatabaseUnavailable(new StoreError('conflict', 'taken'))).to.equal(false);
  });
});
