import { api } from "../../../lib/stint";

// API.md's routes (/api/session, /api/sessions, …).
export const { GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS } = api;
