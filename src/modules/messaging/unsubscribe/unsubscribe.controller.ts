import { Controller, Get, Header, HttpCode, Param, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Public } from '../../access/access.decorators.js';
import { UnsubscribeService } from './unsubscribe.service.js';

const page = (title: string, body: string) =>
  `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<meta name="robots" content="noindex"><title>${title}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem}
button{font:inherit;padding:.5rem 1rem}</style></head>
<body><h1>${title}</h1>${body}</body></html>
`;

const INVALID = page(
  'Invalid link',
  '<p>This unsubscribe link is not valid. Please use the link from the message itself.</p>',
);

/**
 * Public on purpose (the people who click have no account): `GET` only shows a confirmation
 * form, because mail scanners follow links; `POST` unsubscribes, and is also the RFC 8058
 * one-click target that mail clients call with `List-Unsubscribe=One-Click`. The token alone
 * authorises it.
 */
@Controller('unsubscribe')
export class UnsubscribeController {
  constructor(private readonly service: UnsubscribeService) {}

  @Public()
  @Get(':token')
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-store')
  confirm(@Param('token') token: string, @Res({ passthrough: true }) res: Response): string {
    if (!this.service.verify(token)) {
      res.status(400);
      return INVALID;
    }
    return page(
      'Unsubscribe',
      `<p>Stop receiving these messages?</p>
<form method="post" action="">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">Unsubscribe</button>
</form>`,
    );
  }

  @Public()
  @Post(':token')
  @HttpCode(200)
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-store')
  async unsubscribe(
    @Param('token') token: string,
    @Res({ passthrough: true }) res: Response,
  ): Promise<string> {
    const target = this.service.verify(token);
    if (!target) {
      res.status(400);
      return INVALID;
    }
    await this.service.unsubscribe(target);
    return page('Unsubscribed', '<p>You will not receive these messages any more.</p>');
  }
}
