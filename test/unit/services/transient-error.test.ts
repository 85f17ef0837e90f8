import { ServiceError } from '../../../reference-services/kit/errors';
import { isTransientStoreError } from '../../../reference-services/kit/transient-error';

describe('isTransientStoreError', () => {
  it.each([
    [Object.assign(new Error('x'), { code: '08006' }), true],
    [Object.assign(new Error('deadlock detected'), { code: '40P01' }), true],
    [Object.assign(new Error('could not serialize'), { code: '40001' }), true],
    [
      Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }),
      true,
    ],
    [Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), true],
    [new Error('Connection terminated unexpectedly'), true],
    [new ServiceError('store-unavailable', 'down'), true],
    [Object.assign(new Error('duplicate key'), { code: '23505' }), false],
    [new ServiceError('injected-failure', 'boom'), false],
    [new Error('handler bug'), false],
    ['not an error', false],
  ])('%p → %p', (error, expected) => {
    expect(isTransientStoreError(error)).toBe(expected);
  });
});
