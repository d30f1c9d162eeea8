// Lints a theme app extension with Shopify's theme-check, offline.
// Usage: node run.mjs <absolute path of extensions/NAME>
// Prints one JSON object: the checks that ran and every offense; exits 1 when
// there is any offense.
import { themeCheckRun } from '@shopify/theme-check-node';

const root = process.argv[2];
if (!root) {
  console.error('usage: node run.mjs <extension root>');
  process.exit(2);
}
const { config, offenses } = await themeCheckRun(root, undefined, () => {});
const report = {
  checks: config.checks.map((check) => check.meta.code).sort(),
  offenses: offenses.map((o) => ({
    check: o.check, severity: o.severity, uri: o.uri, message: o.message,
    line: o.start ? o.start.line + 1 : null,
  })),
};
console.log(JSON.stringify(report, null, 1));
process.exit(offenses.length ? 1 : 0);
