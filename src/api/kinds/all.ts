// Registers every kind (side-effect imports); validate.ts imports this once.
import "./core.js";
import "./security.js";
import "./networking.js";
import "./gateway-api.js";
import "./telemetry.js";
import "./meshconfig.js";
