/** Chart.js with only the pieces the dashboard draws (bars and lines on category/linear axes,
 * tooltips, legends). Imported lazily by ChartView, so the first screen never loads it.
 *
 * Why Chart.js: maintained, tree-shakable, and it draws on a <canvas>, setting sizes only
 * through the CSSOM (element.style), which the viewer's CSP (no 'unsafe-inline') allows; it
 * injects no <style> element and no style attribute. The browser tests fail on any CSP report.
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LineController,
  LineElement,
  LinearScale,
  PointElement,
  Tooltip,
} from "chart.js";

Chart.register(BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, Tooltip, Legend, Filler);

export { Chart };
