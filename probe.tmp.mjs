import { create } from 'webgpu';
const gpu = create(['backend=opengles']);
for (const ro of [{featureLevel:'compatibility'}, {}]) {
  const a = await gpu.requestAdapter(ro);
  console.log(JSON.stringify(ro), a ? JSON.stringify({v:a.info.vendor, d:a.info.description, arch:a.info.architecture, ty: a.info.adapterType, be: a.info.backendType}) : 'null');
}
process.exit(0);
