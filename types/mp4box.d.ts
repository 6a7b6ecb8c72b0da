// mp4box publishes its types through package.json `exports` only, which the `node`
// module resolution of this project does not read; point the bare import at them.
declare module 'mp4box' {
  export * from 'mp4box/dist/mp4box.all.cjs';
}
