// Static assets imported by the Lambda bundle: esbuild's `file` loader (lib/lambda-bundling.ts)
// copies the file beside the bundle and the import gives its path relative to the bundle.
declare module "*.woff2" {
  const relativePath: string;
  export default relativePath;
}
