/**
 * mcp-aks: one stack per environment. The config is read and validated before any resource is declared,
 * and before the resource modules load, so a bad config fails in a second with its message alone.
 */
import { loadStackConfig } from "./components/config";

const config = loadStackConfig();

import stack = require("./components/stack");

export = stack.createStack(config);
