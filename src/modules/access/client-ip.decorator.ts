import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { requestOf } from './request-of.js';

/** The client address as Express sees it (honours `trust proxy` when configured). */
export const ClientIp = createParamDecorator((_: unknown, context: ExecutionContext): string => {
  const req = requestOf(context);
  return req.ip ?? req.socket?.remoteAddress ?? 'unknown';
});
