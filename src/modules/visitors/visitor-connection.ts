import { ConnectionType } from '../../common/pagination/relay.js';
import { VisitorEntity } from './visitor.entity.js';

/** `VisitorConnection` / `VisitorEdge`, built once: `visitors`, `Segment.visitors`, `ambassadors`. */
export const VisitorConnection = ConnectionType(VisitorEntity, 'Visitor');
