/** Tokens the test Worker accepts (tests only). */
export const TEST_VIEWER_TOKEN = "test-viewer-token";
export const TEST_ADMIN_TOKEN = "test-admin-token";
