import { ApiKeyEntity } from '../../modules/access/api-key.entity.js';
import { UserEntity } from '../../modules/access/user.entity.js';
import { DestinationEntity } from '../../modules/destinations/destination.entity.js';
import { PlaceEntity } from '../../modules/destinations/place.entity.js';
import { TrackedSourceEntity } from '../../modules/destinations/tracked-source.entity.js';
import { InterestEntity } from '../../modules/interests/interest.entity.js';
import { PlaceInterestEntity } from '../../modules/interests/place-interest.entity.js';

/** Every entity, for the data source and the migration generator. */
export const entities = [
  DestinationEntity,
  PlaceEntity,
  TrackedSourceEntity,
  InterestEntity,
  PlaceInterestEntity,
  UserEntity,
  ApiKeyEntity,
];
