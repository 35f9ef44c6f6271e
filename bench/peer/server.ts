/**
 * The peer: what a team would otherwise build — Apollo Server with @apollo/datasource-rest,
 * one data source per request (Apollo's documented pattern), no hand-rolled batching.
 * Run as a child process of the benchmark; `OPENHUMANS_BASE_URL` names the upstream.
 * Prints one JSON line (`ready`, `url`) on stdout; stops on SIGTERM.
 */
import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { OpenHumansAPI } from './open-humans-api.js';
import { type PeerContext, resolvers } from './resolvers.js';
import { typeDefs } from './schema.js';

const baseURL = process.env.OPENHUMANS_BASE_URL;
if (!baseURL) throw new Error('OPENHUMANS_BASE_URL is required');

const server = new ApolloServer<PeerContext>({ typeDefs, resolvers });

const { url } = await startStandaloneServer(server, {
  listen: { port: 0, host: '127.0.0.1' },
  context: async ({ req }) => {
    const header = req.headers.authorization;
    const token = header?.startsWith('Bearer ') ? header.slice(7) : null;
    const { cache } = server;
    return { dataSources: { oh: new OpenHumansAPI(baseURL, token, { cache }) } };
  },
});

process.stdout.write(`${JSON.stringify({ ready: true, url: url.replace(/\/$/, '') })}\n`);

const stop = (): void => {
  void server.stop().finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
