/**
 * mcp-aks: one stack per environment. The config is read and validated before any resource is declared.
 */
import { loadStackConfig } from "./components/config";
import { createStack } from "./components/stack";

export = createStack(loadStackConfig());
