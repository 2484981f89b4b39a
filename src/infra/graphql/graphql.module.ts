import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Logger, Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import type { Request, Response } from 'express';
import type { GraphQLError } from 'graphql';
import depthLimit from 'graphql-depth-limit';
import type { ServerOptions } from 'graphql-ws';
import { RequestLoaders } from '../../common/dataloader/request-loaders.js';
import { formatGraphqlError } from '../../common/errors/format-graphql-error.js';
import { DateTimeScalar } from '../../common/scalars/scalars.js';
import type { AppConfig } from '../config/config.js';
import { MetricsModule } from '../metrics/metrics.module.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { complexityPlugin, MAX_QUERY_DEPTH } from './complexity.plugin.js';
import { GraphqlExceptionFilter } from './graphql-exception.filter.js';

interface WsContext {
  connectionParams?: Record<string, unknown>;
  extra?: { request?: { socket?: { remoteAddress?: string } } };
}

/** graphql-ws has no HTTP request: its connection params stand in for the headers. */
function wsRequest(ctx: WsContext) {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(ctx.connectionParams ?? {})) {
    if (typeof v === 'string') headers[k.toLowerCase()] = v;
  }
  return { headers, ip: ctx.extra?.request?.socket?.remoteAddress };
}

@Module({})
export class AppGraphqlModule {
  static forRoot(config: AppConfig): DynamicModule {
    const development = config.nodeEnv === 'development';
    const logger = new Logger('GraphQL');
    const formatOptions = {
      exposeStack: development,
      onUnexpected: (e: unknown) => logger.error(e instanceof Error ? e.stack : String(e)),
    };
    const formatWs = (error: GraphQLError) =>
      formatGraphqlError(error.toJSON(), error, formatOptions);
    // Nest hands these on to graphql-ws's useServer, though its type names only `path`.
    const graphqlWs: Pick<ServerOptions, 'onError' | 'onNext'> & { path: string } = {
      path: '/graphql',
      // graphql-ws bypasses Apollo's formatError: map its errors the same single way.
      onError: (_ctx, _id, _payload, errors) => errors.map(formatWs),
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: result.errors.map(formatWs) } : undefined,
    };
    return {
      module: AppGraphqlModule,
      providers: [{ provide: APP_FILTER, useClass: GraphqlExceptionFilter }],
      imports: [
        GraphQLModule.forRootAsync<ApolloDriverConfig>({
          driver: ApolloDriver,
          imports: [MetricsModule],
          inject: [MetricsService],
          useFactory: (metrics: MetricsService): ApolloDriverConfig => ({
            path: '/graphql',
            autoSchemaFile: true,
            sortSchema: true,
            buildSchemaOptions: {
              scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
              numberScalarMode: 'integer',
            },
            introspection: true,
            // Our formatter maps AppError (an HttpException) itself; Nest's transform would hide it.
            autoTransformHttpErrors: false,
            csrfPrevention: true,
            graphiql: false,
            playground: false,
            includeStacktraceInErrorResponses: development,
            validationRules: [depthLimit(MAX_QUERY_DEPTH)],
            plugins: [complexityPlugin(), metrics.graphqlPlugin()],
            subscriptions: {
              'graphql-ws': graphqlWs,
            },
            context: (ctx: { req?: Request; res?: Response } & WsContext) => ({
              req: ctx.req ?? wsRequest(ctx),
              res: ctx.res,
              loaders: new RequestLoaders(),
            }),
            formatError: (formatted, error) => formatGraphqlError(formatted, error, formatOptions),
          }),
        }),
      ],
    };
  }
}
