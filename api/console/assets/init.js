// Progressive enhancement only: every console page works with JavaScript off.
import { initAll } from './govuk-frontend.min.js'

initAll()
