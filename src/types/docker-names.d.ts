// docker-names ships no types: it is a CommonJS singleton carrying moby's word lists.
declare module 'docker-names' {
  const dockerNames: {
    adjectives: string[];
    surnames: string[];
    getRandomName(appendNumber?: boolean | number): string;
  };
  export default dockerNames;
}
