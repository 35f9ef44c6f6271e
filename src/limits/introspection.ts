import type { ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { limitError } from './limit-error.js';

/** Refuses `__schema` and `__type` (`__typename` stays: clients need it). */
export const noIntrospectionRule: ValidationRule = (context) => ({
  Field(node) {
    const name = node.name.value;
    if (name === '__schema' || name === '__type') {
      context.reportError(limitError('introspection', `Introspection is disabled on this server (\`${name}\`).`));
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
