/** The day the question tests and the ask bench are asked on (a Tuesday), and their first day of data. */
export const TODAY = "2058-11-26";
export const FIRST_DAY = "2057-01-01";
