/** `npm run kernel`: registers the tslab kernel in the project-local Jupyter path and says how to use it. */
import { JUPYTER_DATA, installKernel } from './notebook-runner';

const python = installKernel();
console.log(`tslab kernel registered under ${JUPYTER_DATA} (Jupyter from ${python}).`);
console.log(`Open the notebooks with:  JUPYTER_PATH=${JUPYTER_DATA} jupyter lab notebooks/   (or jupyter notebook)`);
