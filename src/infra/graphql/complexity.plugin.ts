import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import {
  fieldExtensionsEstimator,
  getComplexity,
  simpleEstimator,
} from 'graphql-query-complexity';

export const MAX_QUERY_COMPLEXITY = 2000;
export const MAX_QUERY_DEPTH = 10;

/**
 * Refuses an operation whose estimated cost is above the limit before it runs. Fields declare
 * their cost with `complexity` (lists multiply their children by `first`); others cost 1.
 */
export function complexityPlugin(maximum = MAX_QUERY_COMPLEXITY): ApolloServerPlugin {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, schema }) {
          const complexity = getComplexity({
            schema,
            operationName: request.operationName,
            query: document,
            variables: request.variables,
            estimators: [fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })],
          });
          if (complexity > maximum) {
            throw new GraphQLError(
              `Query is too complex: ${complexity}, the maximum is ${maximum}`,
              { extensions: { code: 'BAD_USER_INPUT', complexity, maximumComplexity: maximum } },
            );
          }
        },
      };
    },
  };
}
