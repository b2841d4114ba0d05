import { ConflictError, InvalidRequestError } from '../../domain/errors.js';
import { type ProductView, toProductView } from '../../domain/product.js';
import type { NewProduct } from '../../ports/product-store.js';
import { type FlashSaleDeps, publishProductEvents } from './flash-sale-use-cases.js';
import { productUnavailable, recoverProduct } from './recover-product.js';

export type CreateProductInput = Omit<NewProduct, 'id'> & { id?: string | undefined };

export async function createProduct(
  deps: FlashSaleDeps & { newId: () => string },
  input: CreateProductInput,
): Promise<ProductView> {
  const id = input.id ?? deps.newId();
  const exists = () => new ConflictError('product_exists', `product ${id} already exists`, { productId: id });
  // A given id that PostgreSQL knows but Redis lost must not become a second, fresh product.
  if (input.id !== undefined) {
    const recovery = await recoverProduct(deps, id);
    if (recovery === 'present' || recovery === 'restored') throw exists();
    if (recovery === 'fenced') throw productUnavailable(id);
  }
  const outcome = await deps.products.create({ ...input, id });
  await publishProductEvents(deps, outcome.events);
  if (outcome.ok) return toProductView(outcome.product);
  switch (outcome.code) {
    case 'product_exists':
      throw exists();
    case 'product_unavailable':
      throw productUnavailable(id);
    case 'invalid_schedule':
      throw new InvalidRequestError(`${outcome.field}: ${outcome.message}`, { field: outcome.field });
  }
}
