/**
 * Longest URL parameter the router accepts (find-my-way's default is 100). A decision key may be
 * 200 characters plus '.json', and URL-encoding can triple that ('/' and '$' take three), so the
 * default made valid keys unreachable with a 414. Parameters are not matched by regular
 * expressions, so the bound is about waste only.
 */
export const MAX_PARAM_LENGTH = 1024;
