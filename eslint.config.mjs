// ESLint for the demo page's JavaScript (static/demo/js), run by `make lint` through
// scripts/eslint.sh. ESLint and these two packages live in a cache outside the repository
// (scripts/fetch-eslint.sh), whose folder scripts/eslint.sh passes as HIPPO_ESLINT_HOME; without
// it they are looked up the usual way (an `npm install` beside this file also works).
import { createRequire } from "node:module";
import path from "node:path";

const home = process.env.HIPPO_ESLINT_HOME;
const require = createRequire(home ? path.join(home, "package.json") : import.meta.url);
const js = require("@eslint/js");
const globals = require("globals");

export default [
  // Not ours, or not source: the virtualenv, collected static files, test artifacts, local data.
  { ignores: [".venv/", "staticfiles/", "artifacts/", "var/", "models/", "node_modules/"] },
  {
    files: ["static/demo/js/**/*.js"],
    ...js.configs.recommended,
  },
  {
    files: ["static/demo/js/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      // Only the browser's names: a typo or a forgotten import is an error, not a global.
      globals: { ...globals.browser },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      "no-unused-vars": ["error", { args: "after-used", argsIgnorePattern: "^_", caughtErrors: "none" }],
      "no-undef": "error",
      eqeqeq: ["error", "always"],
      "prefer-const": "error",
      "no-var": "error",
      "no-shadow": "error",
      "no-use-before-define": ["error", { functions: false, classes: true, variables: false }],
      "no-implicit-globals": "error",
      "no-return-assign": "error",
      "no-self-compare": "error",
      "no-template-curly-in-string": "error",
      "no-unmodified-loop-condition": "error",
      "no-unreachable-loop": "error",
      "no-promise-executor-return": "error",
      "no-constructor-return": "error",
      "no-await-in-loop": "error",
      "array-callback-return": "error",
      "default-param-last": "error",
      "no-param-reassign": "error",
      curly: ["error", "multi-line"],
      "object-shorthand": "error",
    },
  },
  {
    files: ["eslint.config.mjs"],
    ...js.configs.recommended,
    languageOptions: { sourceType: "module", globals: { ...globals.node } },
  },
  {
    // Runs before the first paint as a classic script (not a module), from base.html.
    files: ["static/demo/js/theme-early.js"],
    languageOptions: { sourceType: "script" },
    rules: { "no-var": "off" },
  },
];
