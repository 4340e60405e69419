// placeholder
document.getElementById('app')?.append('Parley');
