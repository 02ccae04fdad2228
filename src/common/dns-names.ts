/**
 * DNS-1123 names as Kubernetes defines them (k8s.io/apimachinery pkg/util/validation):
 *
 *   label      (IsDNS1123Label)      lower-case alphanumerics and '-', starting and ending with an
 *                                    alphanumeric, at most 63 characters (RFC 1123)
 *   subdomain  (IsDNS1123Subdomain)  one or more labels joined by '.', at most 253 characters
 *
 * The RegExps carry no `g`/`y` flag, so sharing them is safe (`test` keeps no state). The
 * `*_UNBOUNDED` forms check the shape only, for schemas that check the length separately with
 * their own message; the `*_SOURCE` strings are for building larger patterns with `new RegExp`.
 */

/** A label of 1-63 characters, unanchored (for embedding). */
export const DNS_LABEL_SOURCE = "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?";
/** A label of any length, unanchored (for embedding). */
export const DNS_LABEL_UNBOUNDED_SOURCE = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
/** Dot-joined labels of any length, unanchored (for embedding). */
export const DNS_SUBDOMAIN_UNBOUNDED_SOURCE = `${DNS_LABEL_UNBOUNDED_SOURCE}(\\.${DNS_LABEL_UNBOUNDED_SOURCE})*`;

/** DNS-1123 label, 1-63 characters (namespace names, for example). */
export const DNS_LABEL = new RegExp(`^${DNS_LABEL_SOURCE}$`);
/** DNS-1123 label shape without the 63-character limit (check the length separately). */
export const DNS_LABEL_UNBOUNDED = new RegExp(`^${DNS_LABEL_UNBOUNDED_SOURCE}$`);

/** DNS-1123 subdomain shape without the 253-character limit (check the length separately). */
export const DNS_SUBDOMAIN_UNBOUNDED = new RegExp(`^${DNS_SUBDOMAIN_UNBOUNDED_SOURCE}$`);

/**
 * 1-253 characters of lower-case alphanumerics, '-' and '.', starting and ending with an
 * alphanumeric. Looser than a DNS-1123 subdomain: it also accepts empty labels and labels that
 * start or end with '-' ("a..b", "a.-b"). Node names, service account names and the names in
 * netns names are checked against this form.
 */
export const DNS_SUBDOMAIN_LOOSE = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;
