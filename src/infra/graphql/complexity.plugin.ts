import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { fieldExtensionsEstimator, getComplexity, simpleEstimator } from 'graphql-query-complexity';

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
          let complexity: number;
          try {
            complexity = getComplexity({
              schema,
              operationName: request.operationName,
              query: document,
              variables: request.variables,
              estimators: [fieldExtensionsEstimator(), simpleEstimator({ defaultComplexity: 1 })],
            });
          } catch (error) {
            // getComplexity coerces the variables first: a bad value (e.g. "7 days" for a
            // Duration) is the client's mistake, not a server fault (Apollo would answer 500).
            if (!(error instanceof GraphQLError)) throw error;
            throw new GraphQLError(error.message, {
              nodes: error.nodes,
              originalError: error,
              extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } },
            });
          }
          if (complexity > maximum) {
            // A plugin's error is answered with HTTP 500 unless it says otherwise.
            throw new GraphQLError(
              `Query is too complex: ${complexity}, the maximum is ${maximum}`,
              {
                extensions: {
                  code: 'BAD_USER_INPUT',
                  complexity,
                  maximumComplexity: maximum,
                  http: { status: 400 },
                },
              },
            );
          }
        },
      };
    },
  };
}
