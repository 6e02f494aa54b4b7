export { redactPaths, SEALED_PLACEHOLDER, sealedPathSegments } from '@llmteam/core';
