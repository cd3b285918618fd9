/** One problem found in a configuration: the key at fault (`services[0].listen.address`) and what is wrong. */
export interface ConfigProblem {
  path: string;
  message: string;
}
