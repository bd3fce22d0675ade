/**
 * The schema and message URNs of RFC 7643 §8.7 and RFC 7644 §3 (ListResponse, PatchOp, SearchRequest, Error), plus
 * the extensions the product ships.
 */
export const URN = {
  user: 'urn:ietf:params:scim:schemas:core:2.0:User',
  group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  enterprise: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  /** the modelled platform: the multi-valued `folders` attribute. */
  customExtension: 'urn:ietf:params:scim:schemas:extension:2.0:CustomExtensionName',
  /** the modelled platform: one string per Metadata key. */
  metadata: 'urn:ietf:params:scim:schemas:extension:2.0:Metadata',
  /** Systam: the Systam primary workspace. */
  systam: 'urn:ietf:params:scim:schemas:extension:systam:2.0:User',
  listResponse: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  patchOp: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
  searchRequest: 'urn:ietf:params:scim:api:messages:2.0:SearchRequest',
  error: 'urn:ietf:params:scim:api:messages:2.0:Error',
  serviceProviderConfig: 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig',
  resourceType: 'urn:ietf:params:scim:schemas:core:2.0:ResourceType',
  schema: 'urn:ietf:params:scim:schemas:core:2.0:Schema',
} as const;
