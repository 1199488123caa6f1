import { createHash } from "node:crypto";
import { INDEX_STYLE } from "./page-style.js";

/**
 * The response headers every public file is served with, defined once: the CDK stack
 * puts them in CloudFront's response headers policy, the local server sends them too,
 * so a page that works on `npm start` works behind CloudFront.
 */

/** The values of CloudFront's managed SecurityHeadersPolicy, which the site used before it had its own policy. */
export const SECURITY_HEADERS = {
  /** One year; no `includeSubDomains`: the feeds' domain says nothing about its neighbours. */
  strictTransportSecurityMaxAgeSeconds: 31_536_000,
  frameOptions: "SAMEORIGIN",
  referrerPolicy: "strict-origin-when-cross-origin",
} as const;

/** `'sha256-…'`: the CSP source that allows exactly this inline `<style>` body. */
export function styleHash(css: string): string {
  return `'sha256-${createHash("sha256").update(css, "utf8").digest("base64")}'`;
}

/**
 * The pages (index.html, each feed's feed.html) have no script, image or form; their
 * only CSS is the one inline `<style>` they share, allowed by hash, and their only
 * font is the self-hosted Urdu one (`font-src 'self'`: nothing from another origin).
 * Feeds are data: the same policy costs them nothing and stops an XML
 * or JSON document from ever running anything if a browser renders it.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  `style-src ${styleHash(INDEX_STYLE)}`,
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'self'",
].join("; ");

/**
 * CORS: any web page may read the feeds (browser feed readers, widgets), with GET and
 * HEAD, and see the validators it needs for conditional requests. No credentials.
 */
export const CORS = {
  allowOrigin: "*",
  allowMethods: ["GET", "HEAD"],
  /** Preflights ask for `If-None-Match` / `If-Modified-Since` (not CORS-safelisted); any header is fine without credentials. */
  allowHeaders: ["*"],
  exposeHeaders: ["ETag", "Last-Modified"],
  /** How long a browser may cache a preflight answer. */
  maxAgeSeconds: 86_400,
} as const;

/** The headers as sent on every GET/HEAD response (the local server; CloudFront builds the same from the policy). */
export function publicResponseHeaders(): Record<string, string> {
  return {
    "Strict-Transport-Security": `max-age=${SECURITY_HEADERS.strictTransportSecurityMaxAgeSeconds}`,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": SECURITY_HEADERS.frameOptions,
    "Referrer-Policy": SECURITY_HEADERS.referrerPolicy,
    "X-XSS-Protection": "1; mode=block",
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Access-Control-Allow-Origin": CORS.allowOrigin,
    "Access-Control-Expose-Headers": CORS.exposeHeaders.join(", "),
  };
}

/** The answer to a CORS preflight (`OPTIONS` with `Access-Control-Request-Method`). */
export function preflightResponseHeaders(): Record<string, string> {
  return {
    "Access-Control-Allow-Origin": CORS.allowOrigin,
    "Access-Control-Allow-Methods": CORS.allowMethods.join(", "),
    "Access-Control-Allow-Headers": CORS.allowHeaders.join(", "),
    "Access-Control-Max-Age": String(CORS.maxAgeSeconds),
  };
}
