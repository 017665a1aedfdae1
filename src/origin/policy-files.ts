// The cross-domain policy files players fetch from the site root before they load media from it.

/**
 * SPEC RTMP-40: CloudFront's fixed default crossdomain.xml allows all domains (its exact text is
 * not given, SPEC 9 item 19); Flash HDS players such as Strobe fetch it.
 */
export const CROSSDOMAIN_XML = `<?xml version="1.0"?>
<!DOCTYPE cross-domain-policy SYSTEM "http://www.adobe.com/xml/dtds/cross-domain-policy.dtd">
<cross-domain-policy>
  <site-control permitted-cross-domain-policies="all"/>
  <allow-access-from domain="*" secure="false"/>
  <allow-http-request-headers-from domain="*" headers="*" secure="false"/>
</cross-domain-policy>
`;

/** SPEC 2.2 / VOD-01: Silverlight (Smooth) needs clientaccesspolicy.xml at the root; allow all. */
export const CLIENT_ACCESS_POLICY_XML = `<?xml version="1.0" encoding="utf-8"?>
<access-policy>
  <cross-domain-access>
    <policy>
      <allow-from http-request-headers="*">
        <domain uri="*"/>
        <domain uri="http://*"/>
        <domain uri="https://*"/>
      </allow-from>
      <grant-to>
        <resource path="/" include-subpaths="true"/>
      </grant-to>
    </policy>
  </cross-domain-access>
</access-policy>
`;

/**
 * Every root name a player may ask for (SPEC 9 item 20: edge paths are case-sensitive, and the
 * guide uses `crossdomain.xml`, `clientaccesspolicy.xml`, `ClientAccessPolicy.xml` and the likely
 * slip `crossdomainpolicy.xml`; serve them all).
 */
export const POLICY_FILES: Readonly<Record<string, string>> = {
  '/crossdomain.xml': CROSSDOMAIN_XML,
  '/crossdomainpolicy.xml': CROSSDOMAIN_XML,
  '/clientaccesspolicy.xml': CLIENT_ACCESS_POLICY_XML,
  '/ClientAccessPolicy.xml': CLIENT_ACCESS_POLICY_XML,
};

/** Policy files change only with a release: an hour at the edge is plenty. */
export const POLICY_CACHE_CONTROL = 'max-age=3600';
