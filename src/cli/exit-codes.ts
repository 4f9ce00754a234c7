export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
/** Bad command line or configuration: nothing was changed. */
export const EXIT_BAD_INPUT = 2;
