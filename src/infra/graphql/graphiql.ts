import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { NextFunction, Request, Response } from 'express';

const require = createRequire(import.meta.url);

/** The explorer's assets, served from node_modules: no CDN, so it works offline and behind CSPs. */
const ASSETS: Record<string, { file: string; type: string }> = {
  'react.js': {
    file: join(dirname(require.resolve('react/package.json')), 'umd/react.production.min.js'),
    type: 'text/javascript',
  },
  'react-dom.js': {
    file: join(
      dirname(require.resolve('react-dom/package.json')),
      'umd/react-dom.production.min.js',
    ),
    type: 'text/javascript',
  },
  'graphiql.js': {
    file: join(dirname(require.resolve('graphiql/package.json')), 'graphiql.min.js'),
    type: 'text/javascript',
  },
  'graphiql.css': {
    file: join(dirname(require.resolve('graphiql/package.json')), 'graphiql.min.css'),
    type: 'text/css',
  },
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <title>Escale GraphQL</title>
  <link rel="stylesheet" href="/graphiql/graphiql.css" />
  <style>body { margin: 0; height: 100vh; } #graphiql { height: 100vh; }</style>
</head>
<body>
  <div id="graphiql">Loading the explorer…</div>
  <script src="/graphiql/react.js"></script>
  <script src="/graphiql/react-dom.js"></script>
  <script src="/graphiql/graphiql.js"></script>
  <script>
    const fetcher = GraphiQL.createFetcher({ url: location.origin + '/graphql' });
    ReactDOM.createRoot(document.getElementById('graphiql')).render(
      React.createElement(GraphiQL, {
        fetcher,
        defaultEditorToolsVisibility: 'headers',
        defaultHeaders: '{\\n  "Authorization": "Bearer <accessToken from the login mutation>"\\n}',
        defaultQuery: 'mutation Login {\\n  login(email: "you@example.org", password: "…") { accessToken expiresAt }\\n}\\n\\nquery Me {\\n  me { destination { name timeZone } user { email role } }\\n}\\n',
      }),
    );
  </script>
</body>
</html>`;

/** GET /graphql from a browser (Accept: text/html) gets the explorer; everything else goes on to Apollo. */
export function graphiqlMiddleware(req: Request, res: Response, next: NextFunction): void {
  if (
    req.method === 'GET' &&
    req.path === '/graphql' &&
    !req.query.query &&
    req.accepts(['application/json', 'text/html']) === 'text/html'
  ) {
    res.type('html').send(PAGE);
    return;
  }
  const asset =
    req.method === 'GET' && req.path.startsWith('/graphiql/')
      ? ASSETS[req.path.slice('/graphiql/'.length)]
      : undefined;
  if (asset) {
    res.type(asset.type).setHeader('cache-control', 'public, max-age=86400');
    res.sendFile(asset.file);
    return;
  }
  next();
}
