/* AssetLink storefront gallery: thumbnails follow the visible slide, a video
   still plays its video in place, and (when the merchant chose it) Cloudinary's
   Product Gallery Widget replaces the plain gallery once it has loaded. If the
   widget can't load (blocked, offline, slow), the plain gallery simply stays. */
(function () {
  'use strict';

  var WIDGET_SRC = 'https://product-gallery.cloudinary.com/all.js';
  var WIDGET_TIMEOUT_MS = 8000;
  var widgetLoading = null;

  function loadWidget() {
    if (widgetLoading) return widgetLoading;
    widgetLoading = new Promise(function (resolve, reject) {
      if (window.cloudinary && window.cloudinary.galleryWidget) {
        resolve(window.cloudinary);
        return;
      }
      var script = document.createElement('script');
      var timer = setTimeout(function () {
        reject(new Error('timed out'));
      }, WIDGET_TIMEOUT_MS);
      script.src = WIDGET_SRC;
      script.async = true;
      script.onload = function () {
        clearTimeout(timer);
        if (window.cloudinary && window.cloudinary.galleryWidget) resolve(window.cloudinary);
        else reject(new Error('no galleryWidget'));
      };
      script.onerror = function () {
        clearTimeout(timer);
        reject(new Error('could not load'));
      };
      document.head.appendChild(script);
    });
    return widgetLoading;
  }

  /* The widget must render the same pixels as the plain gallery, so each asset
     carries the chain the plain gallery's URLs apply before sizing (the entry's
     own transformation, then the merchant's extra one). Cloudinary's Product
     Gallery reference (cloudinary.com/documentation/product_gallery_reference,
     Asset `transformation`) takes it per asset as a Transformation object, i.e.
     the JavaScript SDK's named parameters, and documents no raw URL string; a
     chain is {transformation: [step, step, ...]}, as Cloudinary's own WordPress
     plugin passes it. Per asset rather than the widget-level `transformation`,
     because the reference doesn't say in which order the two would chain.
     So each URL component is converted parameter by parameter; a chain with
     anything else (layers l_/u_, variables $, conditionals if_, named
     transformations t_, unknown parameters, values with other characters)
     can't be expressed, and then the plain gallery stays (see README). */
  var PARAMETERS = {
    a: 'angle', ar: 'aspectRatio', b: 'background', bo: 'border', c: 'crop', co: 'color', dpr: 'dpr',
    du: 'duration', e: 'effect', eo: 'endOffset', f: 'fetchFormat', fl: 'flags', g: 'gravity', h: 'height',
    o: 'opacity', q: 'quality', r: 'radius', so: 'startOffset', vc: 'videoCodec', w: 'width', x: 'x', y: 'y',
    z: 'zoom'
  };
  var PLAIN_VALUE = /^[A-Za-z0-9:._-]+$/;

  /* "c_pad,w_1200/e_sharpen" -> [{crop: 'pad', width: '1200'}, {effect: 'sharpen'}],
     or null when some part has no structured form. */
  function transformationSteps(chain) {
    var steps = [];
    var components = chain.split('/');
    for (var i = 0; i < components.length; i++) {
      if (!components[i]) continue;
      var step = {};
      var parts = components[i].split(',');
      for (var j = 0; j < parts.length; j++) {
        var cut = parts[j].indexOf('_');
        var name = PARAMETERS[parts[j].slice(0, cut)];
        var value = parts[j].slice(cut + 1);
        if (cut < 1 || !name || !PLAIN_VALUE.test(value) || name in step) return null;
        step[name] = value;
      }
      steps.push(step);
    }
    return steps;
  }

  /* The widget shows the same assets, in the same order, as the plain gallery;
     null when some asset's transformation can't be passed to it. */
  function mediaAssets(gallery) {
    var slides = gallery.querySelectorAll('.assetlink-gallery__slide');
    var assets = [];
    for (var i = 0; i < slides.length; i++) {
      var asset = {
        publicId: slides[i].getAttribute('data-public-id'),
        mediaType: slides[i].getAttribute('data-media-type'),
        altText: slides[i].getAttribute('data-alt')
      };
      var steps = transformationSteps(slides[i].getAttribute('data-transformation') || '');
      if (!steps) return null;
      if (steps.length) asset.transformation = { transformation: steps };
      assets.push(asset);
    }
    return assets;
  }

  function startWidget(gallery) {
    var container = gallery.querySelector('.assetlink-gallery__widget');
    var plain = gallery.querySelector('.assetlink-gallery__plain');
    var assets = mediaAssets(gallery);
    if (!assets) {
      /* Showing the widget without the transformation would show other pixels. */
      gallery.setAttribute('data-widget', 'fallback');
      gallery.setAttribute('data-widget-fallback', 'transformation');
      return;
    }
    loadWidget()
      .then(function (cloudinary) {
        var options = {
          cloudName: gallery.getAttribute('data-cloud-name'),
          container: container,
          mediaAssets: assets,
          carouselStyle: gallery.hasAttribute('data-thumbnails') ? 'thumbnails' : 'none'
        };
        var ratio = gallery.getAttribute('data-aspect-ratio');
        if (ratio && ratio !== 'natural') options.aspectRatio = ratio;
        container.hidden = false;
        cloudinary.galleryWidget(options).render();
        plain.hidden = true;
        gallery.setAttribute('data-widget', 'ready');
      })
      .catch(function () {
        container.hidden = true;
        plain.hidden = false;
        gallery.setAttribute('data-widget', 'fallback');
        gallery.setAttribute('data-widget-fallback', 'unavailable');
      });
  }

  function followSlides(gallery) {
    var thumbs = gallery.querySelectorAll('.assetlink-gallery__thumb');
    if (!thumbs.length || !('IntersectionObserver' in window)) return;
    var observer = new IntersectionObserver(
      function (seen) {
        seen.forEach(function (entry) {
          if (!entry.isIntersecting) return;
          var target = '#' + entry.target.id;
          Array.prototype.forEach.call(thumbs, function (thumb) {
            if (thumb.getAttribute('href') === target) thumb.setAttribute('aria-current', 'true');
            else thumb.removeAttribute('aria-current');
          });
        });
      },
      { root: gallery.querySelector('.assetlink-gallery__slides'), threshold: 0.6 }
    );
    Array.prototype.forEach.call(gallery.querySelectorAll('.assetlink-gallery__slide'), function (slide) {
      observer.observe(slide);
    });
  }

  function playInPlace(event) {
    var link = event.target.closest('.assetlink-gallery__play');
    if (!link) return;
    event.preventDefault();
    var image = link.querySelector('img');
    var video = document.createElement('video');
    video.className = 'assetlink-gallery__video';
    video.controls = true;
    video.autoplay = true;
    video.playsInline = true;
    video.setAttribute('width', image.getAttribute('width'));
    video.setAttribute('height', image.getAttribute('height'));
    video.setAttribute('poster', image.currentSrc || image.src);
    video.setAttribute('aria-label', image.alt);
    var source = document.createElement('source');
    source.src = link.getAttribute('data-video-src');
    source.type = 'video/mp4';
    video.appendChild(source);
    link.replaceWith(video);
  }

  function init(root) {
    var galleries = root.querySelectorAll('[data-assetlink-gallery]:not([data-assetlink-ready])');
    Array.prototype.forEach.call(galleries, function (gallery) {
      gallery.setAttribute('data-assetlink-ready', '');
      gallery.addEventListener('click', playInPlace);
      followSlides(gallery);
      if (gallery.getAttribute('data-widget') === 'pending') startWidget(gallery);
    });
  }

  init(document);
  /* The theme editor re-renders a section when its settings change. */
  document.addEventListener('shopify:section:load', function (event) {
    init(event.target);
  });
})();
