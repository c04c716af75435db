/** Tokens and keys the test Worker accepts (tests only). */
export const TEST_VIEWER_TOKEN = "test-viewer-token";
export const TEST_ADMIN_TOKEN = "test-admin-token";
/** The test Worker's SECRET_KEY: 32 fixed bytes, base64 (tests only; never a real key). */
export const TEST_SECRET_KEY = btoa("pulse-test-secret-key-32-bytes!!");
