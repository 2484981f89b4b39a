import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { Allow, Auth, Authenticated, Public } from './access.decorators.js';
import { ApiKeyCreated, AuthPayload, Viewer } from './access.models.js';
import { AccessService } from './access.service.js';
import { ApiKeyEntity, ApiScope } from './api-key.entity.js';
import type { AuthContext } from './auth-context.js';
import { ClientIp } from './client-ip.decorator.js';
import { Role, UserEntity } from './user.entity.js';

@Resolver()
export class AccessResolver {
  constructor(private readonly access: AccessService) {}

  @Public()
  @Mutation(() => AuthPayload)
  login(@Args('email') email: string, @Args('password') password: string, @ClientIp() ip: string) {
    return this.access.login(email, password, ip);
  }

  @Authenticated()
  @Query(() => Viewer)
  me(@Auth() auth: AuthContext) {
    return this.access.viewer(auth);
  }

  @Allow({ roles: [Role.ADMIN] })
  @Query(() => [UserEntity])
  users(@Auth() auth: AuthContext) {
    return this.access.listUsers(auth);
  }

  @Allow({ roles: [Role.ADMIN] })
  @Mutation(() => UserEntity)
  createUser(
    @Auth() auth: AuthContext,
    @Args('email') email: string,
    @Args('password') password: string,
    @Args('role', { type: () => Role }) role: Role,
  ) {
    return this.access.createUser(auth, email, password, role);
  }

  @Allow({ roles: [Role.ADMIN] })
  @Query(() => [ApiKeyEntity])
  apiKeys(@Auth() auth: AuthContext) {
    return this.access.listApiKeys(auth);
  }

  @Allow({ roles: [Role.ADMIN] })
  @Mutation(() => ApiKeyCreated)
  createApiKey(
    @Auth() auth: AuthContext,
    @Args('name') name: string,
    @Args('scopes', { type: () => [ApiScope] }) scopes: ApiScope[],
  ) {
    return this.access.createApiKey(auth, name, scopes);
  }

  @Allow({ roles: [Role.ADMIN] })
  @Mutation(() => ApiKeyEntity)
  revokeApiKey(@Auth() auth: AuthContext, @Args('id', { type: () => ID }) id: string) {
    return this.access.revokeApiKey(auth, id);
  }
}
