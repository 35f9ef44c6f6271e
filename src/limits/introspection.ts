import type { ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { limitError } from './limit-error.js';

/**
 * Fields that hand out the schema: `__schema`, `__type`, and the federation subgraph's
 * `_service { sdl }` (`__typename` stays: clients need it).
 */
const SCHEMA_FIELDS = new Set(['__schema', '__type', '_service']);

/** Refuses the fields of `SCHEMA_FIELDS`. */
export const noIntrospectionRule: ValidationRule = (context) => ({
  Field(node) {
    const name = node.name.value;
    if (SCHEMA_FIELDS.has(name)) {
      context.reportError(
        limitError('introspection', `Introspection is disabled on this server (\`${name}\`).`),
      );
    }
  },
});

/** INTROSPECTION=false: introspection queries fail validation with a coded error. */
export function useNoIntrospection(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(noIntrospectionRule);
    },
  };
}
