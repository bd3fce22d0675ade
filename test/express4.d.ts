// The Express 4 alias installed for the compatibility tests has the same API shape for what they use.
declare module 'express4' {
  import express from 'express';
  export default express;
}
