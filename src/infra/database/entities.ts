import { AmbassadorChangeEntity } from '../../modules/ambassadors/ambassador-change.entity.js';
import { AmbassadorRankEntity } from '../../modules/ambassadors/ambassador-rank.entity.js';
import { AmbassadorScoreEntity } from '../../modules/ambassadors/ambassador-score.entity.js';
import { AmbassadorSettingsEntity } from '../../modules/ambassadors/ambassador-settings.entity.js';
import { ApiKeyEntity } from '../../modules/access/api-key.entity.js';
import { UserEntity } from '../../modules/access/user.entity.js';
import { CampaignStepEntity } from '../../modules/campaigns/campaign-step.entity.js';
import { CampaignEntity } from '../../modules/campaigns/campaign.entity.js';
import { MessageEntity } from '../../modules/messaging/message.entity.js';
import { DestinationEntity } from '../../modules/destinations/destination.entity.js';
import { PlaceEntity } from '../../modules/destinations/place.entity.js';
import { TrackedSourceEntity } from '../../modules/destinations/tracked-source.entity.js';
import { InterestEntity } from '../../modules/interests/interest.entity.js';
import { PlaceInterestEntity } from '../../modules/interests/place-interest.entity.js';
import { InterestEvidenceEntity } from '../../modules/interests/interest-evidence.entity.js';
import { VisitorInterestEntity } from '../../modules/interests/visitor-interest.entity.js';
import { SegmentEntity } from '../../modules/segments/segment.entity.js';
import { IdentityMetricsEntity } from '../../modules/social/identity-metrics.entity.js';
import { IngestionStateEntity } from '../../modules/social/ingestion-state.entity.js';
import { InteractionEntity } from '../../modules/social/interaction.entity.js';
import { StayEntity } from '../../modules/stays/stay.entity.js';
import { ConsentEntity } from '../../modules/visitors/consent.entity.js';
import { SocialIdentityEntity } from '../../modules/visitors/social-identity.entity.js';
import { SuppressionEntity } from '../../modules/visitors/suppression.entity.js';
import { VisitorRecordEntity } from '../../modules/visitors/visitor-record.entity.js';
import { VisitorEntity } from '../../modules/visitors/visitor.entity.js';

/** Every entity, for the data source and the migration generator. */
export const entities = [
  DestinationEntity,
  PlaceEntity,
  TrackedSourceEntity,
  InterestEntity,
  PlaceInterestEntity,
  UserEntity,
  ApiKeyEntity,
  VisitorEntity,
  SocialIdentityEntity,
  ConsentEntity,
  VisitorRecordEntity,
  SuppressionEntity,
  StayEntity,
  InterestEvidenceEntity,
  VisitorInterestEntity,
  InteractionEntity,
  IdentityMetricsEntity,
  IngestionStateEntity,
  SegmentEntity,
  AmbassadorScoreEntity,
  AmbassadorRankEntity,
  AmbassadorChangeEntity,
  AmbassadorSettingsEntity,
  CampaignEntity,
  CampaignStepEntity,
  MessageEntity,
];
