import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { Allow, Auth } from '../access/access.decorators.js';
import type { AuthContext } from '../access/auth-context.js';
import { ImportReport } from './visitor-import.models.js';
import { VisitorImportService } from './visitor-import.service.js';
import { VISITOR_EDITORS } from './visitors.resolver.js';

@Resolver(() => ImportReport)
export class VisitorImportResolver {
  constructor(private readonly imports: VisitorImportService) {}

  @Allow(VISITOR_EDITORS)
  @Mutation(() => ImportReport, {
    description:
      'A CSV with a header row; columns named as CreateVisitorInput fields plus twitterHandle and consentEmailMarketing, lists separated by |. At most 10 MB.',
  })
  importVisitors(@Auth() auth: AuthContext, @Args('csv', { type: () => String }) csv: string) {
    return this.imports.importCsv(auth, csv);
  }
}
